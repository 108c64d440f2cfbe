package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"github.com/siderolabs/crypto/x509"
	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"go.yaml.in/yaml/v4"
)

type keyInfo struct {
	Algorithm string `json:"algorithm"`
	KeyPem    string `json:"keyPem"`
}

type tokenCheck struct {
	OK     bool   `json:"ok"`
	Format string `json:"format"`
}

type secretsReport struct {
	OK                bool                  `json:"ok"`
	Errors            []string              `json:"errors"`
	Warnings          []string              `json:"warnings"`
	TalosVersion      string                `json:"talosVersion"`
	Certs             map[string]certInfo   `json:"certs"`
	ServiceAccountKey *keyInfo              `json:"serviceAccountKey,omitempty"`
	Tokens            map[string]tokenCheck `json:"tokens"`
	ClusterIDEncoding string                `json:"clusterIdEncoding"`
}

// contractFlag parses --talos-version; empty means the contract of the machinery this oracle is built with.
func contractFlag(v string) (*config.VersionContract, string, error) {
	if v == "" {
		return config.TalosVersionCurrent, "current", nil
	}

	contract, err := config.ParseContractFromVersion(v)
	if err != nil {
		return nil, "", usagef("--talos-version: %v", err)
	}

	return contract, contract.String(), nil
}

// decodeBundleStrict decodes a secrets bundle the way secrets.LoadBundle does, but rejects unknown keys and extra
// documents: a typo in a bundle must not silently drop a secret.
func decodeBundleStrict(data []byte) (*secrets.Bundle, error) {
	bundle := &secrets.Bundle{Clock: secrets.NewClock()}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)

	if err := dec.Decode(bundle); err != nil {
		return nil, fmt.Errorf("decoding secrets bundle: %w", err)
	}

	var extra any
	if err := dec.Decode(&extra); err != io.EOF { //nolint:errorlint // yaml returns io.EOF itself
		return nil, fmt.Errorf("secrets bundle must be a single YAML document")
	}

	return bundle, nil
}

func runSecretsCheck(args []string, stdout io.Writer) (bool, error) {
	fs := newFlagSet("secrets-check")
	version := fs.String("talos-version", "", "version contract the bundle is for (default: the oracle's machinery)")

	files, err := parseInterspersed(fs, args)
	if err != nil {
		return false, err
	}

	if len(files) != 1 {
		return false, usagef("exactly one bundle file expected, got %d", len(files))
	}

	contract, contractName, err := contractFlag(*version)
	if err != nil {
		return false, err
	}

	data, err := os.ReadFile(files[0])
	if err != nil {
		return false, usagef("%v", err)
	}

	report, err := checkBundle(data, contract)
	if err != nil {
		return false, err
	}

	report.TalosVersion = contractName

	return report.OK, writeJSON(stdout, report)
}

// checkBundle compares a bundle with what Talos itself generates for the contract: a fresh reference bundle from
// secrets.NewBundle tells which algorithm, subject and PEM label each CA and the service account key must have, so
// the oracle encodes no expectations of its own.
func checkBundle(data []byte, contract *config.VersionContract) (*secretsReport, error) {
	report := &secretsReport{
		Errors:   []string{},
		Warnings: []string{},
		Certs:    map[string]certInfo{},
		Tokens:   map[string]tokenCheck{},
	}

	bundle, err := decodeBundleStrict(data)
	if err != nil {
		report.Errors = append(report.Errors, err.Error())

		return report, nil
	}

	report.Errors = append(report.Errors, errorStrings(bundle.Validate(contract))...)

	reference, err := secrets.NewBundle(secrets.NewClock(), contract)
	if err != nil {
		return nil, fmt.Errorf("generating the reference bundle: %w", err)
	}

	if bundle.Certs != nil {
		cas := []struct {
			name      string
			got, want *x509.PEMEncodedCertificateAndKey
		}{
			{"os", bundle.Certs.OS, reference.Certs.OS},
			{"etcd", bundle.Certs.Etcd, reference.Certs.Etcd},
			{"k8s", bundle.Certs.K8s, reference.Certs.K8s},
			{"k8saggregator", bundle.Certs.K8sAggregator, reference.Certs.K8sAggregator},
		}

		for _, ca := range cas {
			if ca.got == nil {
				continue // reported by bundle.Validate
			}

			info, findings, warnings := checkCA(ca.name, ca.got, ca.want)
			report.Errors = append(report.Errors, findings...)
			report.Warnings = append(report.Warnings, warnings...)

			if info != nil {
				report.Certs[ca.name] = *info
			}
		}

		if bundle.Certs.K8sServiceAccount != nil {
			info, findings := checkServiceAccountKey(bundle.Certs.K8sServiceAccount, reference.Certs.K8sServiceAccount)
			report.ServiceAccountKey = info
			report.Errors = append(report.Errors, findings...)
		}
	}

	checkTokens(bundle, report)

	report.OK = len(report.Errors) == 0

	return report, nil
}

func checkCA(name string, got, want *x509.PEMEncodedCertificateAndKey) (*certInfo, []string, []string) {
	var findings, warnings []string

	fail := func(format string, args ...any) {
		findings = append(findings, fmt.Sprintf("certs.%s: ", name)+fmt.Sprintf(format, args...))
	}

	cert, err := parseCertificatePEM(got.Crt)
	if err != nil {
		fail("certificate: %v", err)

		return nil, findings, nil
	}

	info := describeCert(cert)

	key, label, err := parsePrivateKeyPEM(got.Key)
	info.KeyPem = label

	if err != nil {
		fail("key: %v", err)
	} else {
		info.KeyMatches = publicKeysEqual(key.Public(), cert.PublicKey)
		if !info.KeyMatches {
			fail("the private key does not belong to the certificate")
		}
	}

	wantCert, err := parseCertificatePEM(want.Crt)
	if err != nil {
		panic(err) // machinery's own output
	}

	wantInfo := describeCert(wantCert)
	_, wantLabel, _ := parsePrivateKeyPEM(want.Key) //nolint:errcheck // machinery's own output

	if info.Algorithm != wantInfo.Algorithm {
		fail("algorithm is %s, Talos uses %s", info.Algorithm, wantInfo.Algorithm)
	}

	if label != wantLabel {
		fail("key PEM label is %q, Talos writes %q", label, wantLabel)
	}

	if info.Subject != wantInfo.Subject {
		fail("subject is %q, Talos uses %q", info.Subject, wantInfo.Subject)
	}

	if !info.IsCA {
		fail("certificate is not a CA (basicConstraints CA:TRUE missing)")
	}

	if !info.SelfSigned {
		fail("certificate is not self-signed")
	}

	if cert.KeyUsage&wantCert.KeyUsage != wantCert.KeyUsage {
		fail("key usage %v lacks some of %v", info.KeyUsage, wantInfo.KeyUsage)
	}

	now := time.Now()
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		fail("certificate is not valid now (valid %s … %s)", info.NotBefore, info.NotAfter)
	}

	if info.ValidityH != wantInfo.ValidityH {
		warnings = append(warnings, fmt.Sprintf("certs.%s: validity is %.0fh, Talos generates %.0fh", name, info.ValidityH, wantInfo.ValidityH))
	}

	return &info, findings, warnings
}

func checkServiceAccountKey(got, want *x509.PEMEncodedKey) (*keyInfo, []string) {
	var findings []string

	key, label, err := parsePrivateKeyPEM(got.Key)
	if err != nil {
		return &keyInfo{KeyPem: label}, []string{fmt.Sprintf("certs.k8sserviceaccount: %v", err)}
	}

	info := &keyInfo{Algorithm: keyAlgorithm(key.Public()), KeyPem: label}

	wantKey, wantLabel, err := parsePrivateKeyPEM(want.Key)
	if err != nil {
		panic(err) // machinery's own output
	}

	if wantAlg := keyAlgorithm(wantKey.Public()); info.Algorithm != wantAlg {
		findings = append(findings, fmt.Sprintf("certs.k8sserviceaccount: algorithm is %s, Talos uses %s for this version contract", info.Algorithm, wantAlg))
	}

	if label != wantLabel {
		findings = append(findings, fmt.Sprintf("certs.k8sserviceaccount: key PEM label is %q, Talos writes %q", label, wantLabel))
	}

	return info, findings
}

// kubeadm-style token "abcdef.0123456789abcdef", which Talos uses for the bootstrap and trustd tokens.
var tokenRegexp = regexp.MustCompile(`^[a-z0-9]{6}\.[a-z0-9]{16}$`)

func checkTokens(bundle *secrets.Bundle, report *secretsReport) {
	check := func(name, value string, ok bool, format string) {
		report.Tokens[name] = tokenCheck{OK: ok, Format: format}
		if !ok {
			report.Errors = append(report.Errors, fmt.Sprintf("%s is not %s", name, format))
		}
	}

	base64Bytes := func(value string, enc *base64.Encoding, size int) bool {
		b, err := enc.DecodeString(value)

		return err == nil && len(b) == size
	}

	const tokenFormat = "[a-z0-9]{6}.[a-z0-9]{16}"

	if bundle.Secrets != nil {
		check("secrets.bootstraptoken", bundle.Secrets.BootstrapToken, tokenRegexp.MatchString(bundle.Secrets.BootstrapToken), tokenFormat)

		if v := bundle.Secrets.SecretboxEncryptionSecret; v != "" {
			check("secrets.secretboxencryptionsecret", v, base64Bytes(v, base64.StdEncoding, 32), "base64 of 32 bytes")
		}

		if v := bundle.Secrets.AESCBCEncryptionSecret; v != "" {
			check("secrets.aescbcencryptionsecret", v, base64Bytes(v, base64.StdEncoding, 32), "base64 of 32 bytes")
		}
	}

	if bundle.TrustdInfo != nil {
		check("trustdinfo.token", bundle.TrustdInfo.Token, tokenRegexp.MatchString(bundle.TrustdInfo.Token), tokenFormat)
	}

	if bundle.Cluster != nil {
		id := bundle.Cluster.ID
		stdOK := base64Bytes(id, base64.StdEncoding, constants.DefaultClusterIDSize)
		urlOK := base64Bytes(id, base64.URLEncoding, constants.DefaultClusterIDSize)

		// Talos generates the id with URL-safe base64; both alphabets only differ in two characters, so an id that
		// contains neither decodes either way.
		switch {
		case stdOK && urlOK:
			report.ClusterIDEncoding = "either"
		case urlOK:
			report.ClusterIDEncoding = "url"
		case stdOK:
			report.ClusterIDEncoding = "std"
		}

		check("cluster.id", id, stdOK || urlOK, fmt.Sprintf("base64 of %d bytes", constants.DefaultClusterIDSize))

		secret := bundle.Cluster.Secret
		check("cluster.secret", secret, base64Bytes(secret, base64.StdEncoding, constants.DefaultClusterSecretSize),
			fmt.Sprintf("base64 of %d bytes", constants.DefaultClusterSecretSize))
	}
}

// runGenSecrets prints a bundle generated by Talos itself (like `talosctl gen secrets`), so tests can check that
// secrets-check accepts real Talos output and that talform reads it.
func runGenSecrets(args []string, stdout io.Writer) (bool, error) {
	fs := newFlagSet("gen-secrets")
	version := fs.String("talos-version", "", "version contract (default: the oracle's machinery)")

	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return false, err
	}

	if len(rest) != 0 {
		return false, usagef("unexpected arguments %v", rest)
	}

	contract, _, err := contractFlag(*version)
	if err != nil {
		return false, err
	}

	bundle, err := secrets.NewBundle(secrets.NewClock(), contract)
	if err != nil {
		return false, err
	}

	enc := yaml.NewEncoder(stdout)
	enc.SetIndent(4)

	if err := enc.Encode(bundle); err != nil {
		return false, err
	}

	return true, enc.Close()
}
