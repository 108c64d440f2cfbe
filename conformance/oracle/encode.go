package main

import (
	"io"
	"os"

	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/encoder"
)

// runEncode decodes a machine config into Talos's Go types with the config loader and encodes it again the way
// `talosctl gen config` and the stability goldens do (no comments, no examples). What it prints is how Talos itself
// writes that config: a file equal to it byte for byte is "what Talos writes".
func runEncode(args []string, stdout io.Writer) (bool, error) {
	fs := newFlagSet("encode")

	files, err := parseInterspersed(fs, args)
	if err != nil {
		return false, err
	}

	if len(files) != 1 {
		return false, usagef("exactly one FILE is required")
	}

	data, err := os.ReadFile(files[0])
	if err != nil {
		return false, usagef("%v", err)
	}

	cfg, err := configloader.NewFromBytes(data)
	if err != nil {
		return false, err
	}

	out, err := cfg.EncodeBytes(encoder.WithComments(encoder.CommentsDisabled))
	if err != nil {
		return false, err
	}

	_, err = stdout.Write(out)

	return err == nil, err
}
