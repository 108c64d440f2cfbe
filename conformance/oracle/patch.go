package main

import (
	"fmt"
	"io"
	"os"

	"github.com/siderolabs/talos/pkg/machinery/config/configpatcher"
)

// applyPatchFiles applies strategic merge or JSON6902 patches with configpatcher, as `talosctl machineconfig patch`
// and `talosctl gen config --config-patch @file` do.
func applyPatchFiles(base []byte, files []string) ([]byte, error) {
	specs := make([]string, 0, len(files))
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return nil, usagef("patch: %v", err)
		}

		specs = append(specs, "@"+f)
	}

	patches, err := configpatcher.LoadPatches(specs)
	if err != nil {
		return nil, fmt.Errorf("loading patches: %w", err)
	}

	out, err := configpatcher.Apply(configpatcher.WithBytes(base), patches)
	if err != nil {
		return nil, fmt.Errorf("applying patches: %w", err)
	}

	return out.Bytes()
}

func runPatch(args []string, stdout io.Writer) (bool, error) {
	fs := newFlagSet("patch")
	basePath := fs.String("base", "", "machine config to patch")

	var patchFiles stringList

	fs.Var(&patchFiles, "patch", "patch file (repeatable; also takes the files that follow it)")

	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return false, err
	}

	// "--patch a b c": the positional arguments after --patch are more patch files.
	patchFiles = append(patchFiles, rest...)

	if *basePath == "" || len(patchFiles) == 0 {
		return false, usagef("--base FILE and at least one --patch FILE are required")
	}

	base, err := os.ReadFile(*basePath)
	if err != nil {
		return false, usagef("%v", err)
	}

	out, err := applyPatchFiles(base, patchFiles)
	if err != nil {
		return false, err
	}

	_, err = stdout.Write(out)

	return err == nil, err
}
