package main

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"time"

	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
	"github.com/siderolabs/talos/pkg/machinery/config/generate"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
	"github.com/siderolabs/talos/pkg/machinery/role"
	"go.yaml.in/yaml/v4"
)

type contextReport struct {
	OK           bool     `json:"ok"`
	Errors       []string `json:"errors"`
	Endpoints    []string `json:"endpoints"`
	Nodes        []string `json:"nodes"`
	Roles        []string `json:"roles"`
	Subject      string   `json:"subject"`
	Algorithm    string   `json:"algorithm"`
	KeyPem       string   `json:"keyPem"`
	NotBefore    string   `json:"notBefore"`
	NotAfter     string   `json:"notAfter"`
	CAMatchesOS  bool     `json:"caMatchesOsCA"`
	SignedByOsCA bool     `json:"signedByOsCA"`
	KeyUsage     []string `json:"keyUsage"`
	ExtKeyUsage  []string `json:"extKeyUsage"`
}

// runTalosconfigCheck checks each context of a talosconfig against a secrets bundle: the CA is the bundle's OS CA,
// the client certificate chains to it, is usable for client auth now, its key matches and its roles (the
// certificate's O= values, as apid reads them) are roles Talos knows.
func runTalosconfigCheck(args []string, stdout io.Writer) (bool, error) {
	fs := newFlagSet("talosconfig-check")
	secretsPath := fs.String("secrets", "", "secrets bundle the talosconfig was issued from")

	files, err := parseInterspersed(fs, args)
	if err != nil {
		return false, err
	}

	if len(files) != 1 || *secretsPath == "" {
		return false, usagef("exactly one talosconfig FILE and --secrets FILE are required")
	}

	data, err := os.ReadFile(files[0])
	if err != nil {
		return false, usagef("%v", err)
	}

	bundleData, err := os.ReadFile(*secretsPath)
	if err != nil {
		return false, usagef("%v", err)
	}

	bundle, err := decodeBundleStrict(bundleData)
	if err != nil {
		return false, usagef("--secrets: %v", err)
	}

	if bundle.Certs == nil || bundle.Certs.OS == nil {
		return false, usagef("--secrets: bundle has no certs.os")
	}

	osCA, err := parseCertificatePEM(bundle.Certs.OS.Crt)
	if err != nil {
		return false, usagef("--secrets: certs.os: %v", err)
	}

	errs := []string{}
	contexts := map[string]contextReport{}

	cfg := &clientconfig.Config{}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)

	if err := dec.Decode(cfg); err != nil {
		errs = append(errs, fmt.Sprintf("decoding talosconfig: %v", err))
	} else {
		if len(cfg.Contexts) == 0 {
			errs = append(errs, "talosconfig has no contexts")
		}

		if _, ok := cfg.Contexts[cfg.Context]; !ok {
			errs = append(errs, fmt.Sprintf("current context %q is not defined in contexts", cfg.Context))
		}

		for name, ctx := range cfg.Contexts {
			rep := checkContext(ctx, osCA)
			contexts[name] = rep

			for _, e := range rep.Errors {
				errs = append(errs, fmt.Sprintf("contexts.%s: %s", name, e))
			}
		}
	}

	ok := len(errs) == 0

	return ok, writeJSON(stdout, map[string]any{"ok": ok, "errors": errs, "context": cfg.Context, "contexts": contexts})
}

func checkContext(ctx *clientconfig.Context, osCA *x509.Certificate) contextReport {
	rep := contextReport{Errors: []string{}, Endpoints: ctx.Endpoints, Nodes: ctx.Nodes, Roles: []string{}}
	fail := func(format string, args ...any) { rep.Errors = append(rep.Errors, fmt.Sprintf(format, args...)) }

	if rep.Endpoints == nil {
		rep.Endpoints = []string{}
	}

	if rep.Nodes == nil {
		rep.Nodes = []string{}
	}

	decode := func(field, v string) []byte {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			fail("%s is not standard base64: %v", field, err)
		}

		return b
	}

	if caPEM := decode("ca", ctx.CA); caPEM != nil {
		ca, err := parseCertificatePEM(caPEM)
		if err != nil {
			fail("ca: %v", err)
		} else {
			rep.CAMatchesOS = ca.Equal(osCA)
			if !rep.CAMatchesOS {
				fail("ca is not the bundle's OS CA (certs.os.crt)")
			}
		}
	}

	crtPEM := decode("crt", ctx.Crt)
	keyPEM := decode("key", ctx.Key)

	if crtPEM == nil {
		return finish(rep)
	}

	crt, err := parseCertificatePEM(crtPEM)
	if err != nil {
		fail("crt: %v", err)

		return finish(rep)
	}

	info := describeCert(crt)
	rep.Subject, rep.Algorithm = info.Subject, info.Algorithm
	rep.NotBefore, rep.NotAfter = info.NotBefore, info.NotAfter
	rep.KeyUsage, rep.ExtKeyUsage = info.KeyUsage, info.ExtKeyUsage

	roles, unknown := role.Parse(crt.Subject.Organization)
	rep.Roles = roles.Strings()

	if len(unknown) > 0 {
		fail("crt has roles Talos does not know: %v", unknown)
	}

	if len(rep.Roles) == 0 {
		fail("crt carries no role (O=os:admin, os:operator, …), apid would refuse every call")
	}

	if keyPEM != nil {
		key, label, err := parsePrivateKeyPEM(keyPEM)
		rep.KeyPem = label

		if err != nil {
			fail("key: %v", err)
		} else if !publicKeysEqual(key.Public(), crt.PublicKey) {
			fail("key does not belong to crt")
		}
	}

	roots := x509.NewCertPool()
	roots.AddCert(osCA)

	_, verifyErr := crt.Verify(x509.VerifyOptions{
		Roots:       roots,
		CurrentTime: time.Now(),
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	rep.SignedByOsCA = crt.CheckSignatureFrom(osCA) == nil

	switch {
	case !rep.SignedByOsCA:
		fail("crt is not signed by the bundle's OS CA")
	case verifyErr != nil:
		fail("crt does not verify against the OS CA for client auth: %v", verifyErr)
	}

	return finish(rep)
}

func finish(rep contextReport) contextReport {
	rep.OK = len(rep.Errors) == 0

	return rep
}

// runGenTalosconfig prints the talosconfig Talos's generator issues from a bundle (what `talosctl gen config` writes
// beside the machine configs), so tests can check talosconfig-check on real Talos output and diff talform's.
func runGenTalosconfig(args []string, stdout io.Writer) (bool, error) {
	fs := newFlagSet("gen-talosconfig")
	secretsPath := fs.String("secrets", "", "secrets bundle")
	clusterName := fs.String("cluster-name", "talos", "context name")

	var roles, endpoints stringList

	fs.Var(&roles, "role", "role to grant (repeatable, default os:admin)")
	fs.Var(&endpoints, "endpoint", "endpoint (repeatable)")

	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return false, err
	}

	if *secretsPath == "" || len(rest) != 0 {
		return false, usagef("--secrets FILE is required and takes no positional arguments")
	}

	bundle, err := secrets.LoadBundle(*secretsPath)
	if err != nil {
		return false, usagef("--secrets: %v", err)
	}

	opts := []generate.Option{generate.WithSecretsBundle(bundle), generate.WithEndpointList(endpoints)}

	if len(roles) > 0 {
		set, unknown := role.Parse(roles)
		if len(unknown) > 0 {
			return false, usagef("unknown roles %v", unknown)
		}

		opts = append(opts, generate.WithRoles(set))
	}

	// The endpoint and Kubernetes version do not reach the talosconfig; NewInput only requires them.
	input, err := generate.NewInput(*clusterName, "https://talos.invalid:6443", "1.28.0", opts...)
	if err != nil {
		return false, err
	}

	cfg, err := input.Talosconfig()
	if err != nil {
		return false, err
	}

	out, err := cfg.Bytes()
	if err != nil {
		return false, err
	}

	_, err = stdout.Write(out)

	return err == nil, err
}
