package main

import (
	"flag"
	"io"
)

// newFlagSet returns a flag set whose parse errors are usage errors and which accepts flags after positional
// arguments too ("secrets-check FILE --talos-version v1.13"), which the standard library does not.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)

	return fs
}

func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string

	for {
		if err := fs.Parse(args); err != nil {
			return nil, usagef("%v", err)
		}

		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}

		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}

		positional = append(positional, args[0])
		args = args[1:]
	}
}

// stringList is a repeatable flag (--patch a --patch b). runPatch also treats positional arguments as patch files,
// so "--patch a b" works the way the documented usage reads.
type stringList []string

func (s *stringList) String() string { return "" }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)

	return nil
}
