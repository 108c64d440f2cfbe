// Command talos-oracle answers questions about Talos machine configuration, secrets bundles and talosconfig files
// by calling the Talos machinery library itself (github.com/siderolabs/talos/pkg/machinery). talform's conformance
// suite runs it as a reference implementation: when the oracle and talform disagree, talform is wrong until proven
// otherwise.
//
// Every subcommand prints one JSON document (or, for gen, patch and encode, YAML) on stdout and exits 0 when the checked
// thing is OK, 1 when it is not and 2 on a usage error (bad flags, unreadable input).
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/siderolabs/talos/pkg/machinery/gendata"
)

const (
	exitOK    = 0
	exitNotOK = 1
	exitUsage = 2
)

// usageError marks errors in the invocation itself (exit 2), as opposed to findings about the checked input (exit 1).
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

type command struct {
	name    string
	summary string
	run     func(args []string, stdout io.Writer) (ok bool, err error)
}

var commands = []command{
	{"validate", "validate --mode metal|cloud|container [--strict] FILE...", runValidate},
	{"secrets-check", "secrets-check FILE [--talos-version vX.Y]", runSecretsCheck},
	{"gen-secrets", "gen-secrets [--talos-version vX.Y]", runGenSecrets},
	{"gen", "gen --input FILE", runGen},
	{"talosconfig-check", "talosconfig-check FILE --secrets FILE", runTalosconfigCheck},
	{"gen-talosconfig", "gen-talosconfig --secrets FILE [--cluster-name NAME] [--role ROLE]... [--endpoint EP]...", runGenTalosconfig},
	{"patch", "patch --base FILE --patch FILE...", runPatch},
	{"encode", "encode FILE (decode into Talos's types, encode as talosctl gen config does)", runEncode},
	{"version", "version", runVersion},
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)

		return exitUsage
	}

	for _, cmd := range commands {
		if cmd.name != args[0] {
			continue
		}

		ok, err := cmd.run(args[1:], stdout)

		var usage usageError

		switch {
		case errors.As(err, &usage):
			fmt.Fprintf(stderr, "talos-oracle %s: %v\nusage: talos-oracle %s\n", cmd.name, err, cmd.summary)

			return exitUsage
		case err != nil:
			fmt.Fprintf(stderr, "talos-oracle %s: %v\n", cmd.name, err)

			return exitNotOK
		case ok:
			return exitOK
		default:
			return exitNotOK
		}
	}

	fmt.Fprintf(stderr, "talos-oracle: unknown command %q\n", args[0])
	printUsage(stderr)

	return exitUsage
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "talos-oracle (Talos machinery %s): reference checks for talform\n\ncommands:\n", gendata.VersionTag)

	for _, cmd := range commands {
		fmt.Fprintf(w, "  talos-oracle %s\n", cmd.summary)
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")

	return enc.Encode(v)
}

// errorStrings flattens an error (possibly a multierror or errors.Join tree) into one message per leaf error, so a
// caller sees each validation finding separately.
func errorStrings(err error) []string {
	if err == nil {
		return []string{}
	}

	type wrappedErrors interface{ WrappedErrors() []error } // hashicorp/go-multierror

	var multi wrappedErrors
	if errors.As(err, &multi) {
		var out []string
		for _, e := range multi.WrappedErrors() {
			out = append(out, errorStrings(e)...)
		}

		return out
	}

	if joined, ok := err.(interface{ Unwrap() []error }); ok { //nolint:errorlint // only the direct join is flattened
		var out []string
		for _, e := range joined.Unwrap() {
			out = append(out, errorStrings(e)...)
		}

		return out
	}

	return []string{err.Error()}
}

func runVersion(args []string, stdout io.Writer) (bool, error) {
	if len(args) != 0 {
		return false, usagef("takes no arguments")
	}

	return true, writeJSON(stdout, map[string]string{"machinery": gendata.VersionTag})
}
