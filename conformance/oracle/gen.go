package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/encoder"
	"github.com/siderolabs/talos/pkg/machinery/config/generate"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/siderolabs/talos/pkg/machinery/gendata"
)

// genInput is the JSON document `gen --input` reads. Relative paths are resolved against the input file's folder.
// Unknown keys are rejected so a misspelt option cannot silently produce a default config.
type genInput struct {
	SecretsFile       string     `json:"secretsFile"`
	TalosVersion      string     `json:"talosVersion"`
	ClusterName       string     `json:"clusterName"`
	Endpoint          string     `json:"endpoint"`
	KubernetesVersion string     `json:"kubernetesVersion"`
	InstallDisk       string     `json:"installDisk"`
	InstallImage      string     `json:"installImage"`
	MachineType       string     `json:"machineType"`
	Options           genOptions `json:"options"`
	// Patches are files applied with configpatcher after generation, like `talosctl gen config --config-patch @f`.
	Patches []string `json:"patches"`
}

// genOptions maps one to one onto generate.With* options.
type genOptions struct {
	AdditionalSubjectAltNames      []string            `json:"additionalSubjectAltNames"`
	AllowSchedulingOnControlPlanes *bool               `json:"allowSchedulingOnControlPlanes"`
	DNSDomain                      string              `json:"dnsDomain"`
	InstallExtraKernelArgs         []string            `json:"installExtraKernelArgs"`
	LocalAPIServerPort             *int                `json:"localAPIServerPort"`
	KubePrismPort                  *int                `json:"kubePrismPort"`
	Sysctls                        map[string]string   `json:"sysctls"`
	CustomCNIURL                   string              `json:"customCNIUrl"`
	SkipUnattendedInstallConfig    bool                `json:"skipUnattendedInstallConfig"`
	RegistryMirrors                map[string][]string `json:"registryMirrors"`
	ClusterDiscovery               *bool               `json:"clusterDiscovery"`
	HostDNSForwardKubeDNSToHost    *bool               `json:"hostDNSForwardKubeDNSToHost"`
	KubeSpan                       *bool               `json:"kubeSpan"`
	Debug                          bool                `json:"debug"`
}

func (o genOptions) generateOptions() []generate.Option {
	var opts []generate.Option

	add := func(opt generate.Option) { opts = append(opts, opt) }

	if o.AdditionalSubjectAltNames != nil {
		add(generate.WithAdditionalSubjectAltNames(o.AdditionalSubjectAltNames))
	}

	if o.AllowSchedulingOnControlPlanes != nil {
		add(generate.WithAllowSchedulingOnControlPlanes(*o.AllowSchedulingOnControlPlanes))
	}

	if o.DNSDomain != "" {
		add(generate.WithDNSDomain(o.DNSDomain))
	}

	if o.InstallExtraKernelArgs != nil {
		add(generate.WithInstallExtraKernelArgs(o.InstallExtraKernelArgs))
	}

	if o.LocalAPIServerPort != nil {
		add(generate.WithLocalAPIServerPort(*o.LocalAPIServerPort))
	}

	if o.KubePrismPort != nil {
		add(generate.WithKubePrismPort(*o.KubePrismPort))
	}

	if o.Sysctls != nil {
		add(generate.WithSysctls(o.Sysctls))
	}

	if o.CustomCNIURL != "" {
		add(generate.WithCustomCNIUrl(o.CustomCNIURL))
	}

	if o.SkipUnattendedInstallConfig {
		add(generate.WithSkipUnattendedInstallConfig(true))
	}

	for host, endpoints := range o.RegistryMirrors {
		add(generate.WithRegistryMirror(host, endpoints...))
	}

	if o.ClusterDiscovery != nil {
		add(generate.WithClusterDiscovery(*o.ClusterDiscovery))
	}

	if o.HostDNSForwardKubeDNSToHost != nil {
		add(generate.WithHostDNSForwardKubeDNSToHost(*o.HostDNSForwardKubeDNSToHost))
	}

	if o.KubeSpan != nil {
		add(generate.WithKubeSpanEnabled(*o.KubeSpan))
	}

	if o.Debug {
		add(generate.WithDebug(true))
	}

	return opts
}

func machineryContract() *config.VersionContract {
	contract, err := config.ParseContractFromVersion(strings.TrimSpace(gendata.VersionTag))
	if err != nil {
		panic(err) // the embedded tag of a released machinery always parses
	}

	return contract
}

func readGenInput(path string) (*genInput, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("%v", err)
	}

	var in genInput

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()

	if err := dec.Decode(&in); err != nil {
		return nil, usagef("%s: %v", path, err)
	}

	missing := []string{}
	for name, v := range map[string]string{
		"secretsFile": in.SecretsFile, "talosVersion": in.TalosVersion, "clusterName": in.ClusterName,
		"endpoint": in.Endpoint, "kubernetesVersion": in.KubernetesVersion, "machineType": in.MachineType,
	} {
		if v == "" {
			missing = append(missing, name)
		}
	}

	if len(missing) > 0 {
		return nil, usagef("%s: missing required fields %v", path, missing)
	}

	base := filepath.Dir(path)
	resolve := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}

		return filepath.Join(base, p)
	}

	in.SecretsFile = resolve(in.SecretsFile)
	for i := range in.Patches {
		in.Patches[i] = resolve(in.Patches[i])
	}

	return &in, nil
}

// runGen generates a machine config with Talos's own generator and encodes it the way the stability goldens are
// encoded (no comments, no examples), then applies the patches.
func runGen(args []string, stdout io.Writer) (bool, error) {
	fs := newFlagSet("gen")
	inputPath := fs.String("input", "", "JSON input file")

	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return false, err
	}

	if *inputPath == "" || len(rest) != 0 {
		return false, usagef("--input FILE is required and takes no other arguments")
	}

	in, err := readGenInput(*inputPath)
	if err != nil {
		return false, err
	}

	contract, err := config.ParseContractFromVersion(in.TalosVersion)
	if err != nil {
		return false, usagef("talosVersion: %v", err)
	}

	if own := machineryContract(); contract.Greater(own) {
		return false, usagef("talosVersion %s is newer than this oracle's machinery %s, which cannot generate for it",
			contract, strings.TrimSpace(gendata.VersionTag))
	}

	machineType, err := machine.ParseType(in.MachineType)
	if err != nil {
		return false, usagef("machineType: %v", err)
	}

	bundle, err := secrets.LoadBundle(in.SecretsFile)
	if err != nil {
		return false, usagef("secretsFile: %v", err)
	}

	opts := []generate.Option{generate.WithSecretsBundle(bundle), generate.WithVersionContract(contract)}
	if in.InstallDisk != "" {
		opts = append(opts, generate.WithInstallDisk(in.InstallDisk))
	}

	if in.InstallImage != "" {
		opts = append(opts, generate.WithInstallImage(in.InstallImage))
	}

	opts = append(opts, in.Options.generateOptions()...)

	input, err := generate.NewInput(in.ClusterName, in.Endpoint, in.KubernetesVersion, opts...)
	if err != nil {
		return false, fmt.Errorf("generate.NewInput: %w", err)
	}

	cfg, err := input.Config(machineType)
	if err != nil {
		return false, fmt.Errorf("generating %s config: %w", machineType, err)
	}

	out, err := cfg.EncodeBytes(encoder.WithComments(encoder.CommentsDisabled))
	if err != nil {
		return false, err
	}

	if len(in.Patches) > 0 {
		out, err = applyPatchFiles(out, in.Patches)
		if err != nil {
			return false, err
		}
	}

	_, err = stdout.Write(out)

	return err == nil, err
}
