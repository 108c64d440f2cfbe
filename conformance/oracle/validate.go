package main

import (
	"io"

	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/validation"
)

// runtimeMode mirrors the three modes of `talosctl validate --mode`: only metal requires an install section, only
// container runs inside a container (internal/app/machined/pkg/runtime/mode.go in Talos).
type runtimeMode string

func (m runtimeMode) String() string        { return string(m) }
func (m runtimeMode) RequiresInstall() bool { return m == "metal" }
func (m runtimeMode) InContainer() bool     { return m == "container" }

type fileResult struct {
	File     string   `json:"file"`
	OK       bool     `json:"ok"`
	Errors   []string `json:"errors"`
	Warnings []string `json:"warnings"`
}

// runValidate does what `talosctl validate --config FILE --mode M [--strict]` does, for each file: load with the
// strict config loader, then run the config's Validate with the local option (no checks that need a running node).
func runValidate(args []string, stdout io.Writer) (bool, error) {
	fs := newFlagSet("validate")
	mode := fs.String("mode", "", "metal, cloud or container")
	strict := fs.Bool("strict", false, "treat warnings as errors")

	files, err := parseInterspersed(fs, args)
	if err != nil {
		return false, err
	}

	switch *mode {
	case "metal", "cloud", "container":
	default:
		return false, usagef("--mode must be metal, cloud or container, got %q", *mode)
	}

	if len(files) == 0 {
		return false, usagef("no files given")
	}

	opts := []validation.Option{validation.WithLocal()}
	if *strict {
		opts = append(opts, validation.WithStrict())
	}

	results := make([]fileResult, 0, len(files))
	allOK := true

	for _, file := range files {
		res := fileResult{File: file, Errors: []string{}, Warnings: []string{}}

		cfg, err := configloader.NewFromFile(file)
		if err != nil {
			res.Errors = errorStrings(err)
		} else {
			warnings, err := cfg.Validate(runtimeMode(*mode), opts...)
			res.Errors = errorStrings(err)

			if warnings != nil {
				res.Warnings = warnings
			}
		}

		res.OK = len(res.Errors) == 0
		allOK = allOK && res.OK
		results = append(results, res)
	}

	return allOK, writeJSON(stdout, map[string]any{"files": results})
}
