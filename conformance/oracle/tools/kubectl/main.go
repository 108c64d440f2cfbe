// kubectl for the conformance suite: the k8s.io/kubectl module's own command tree (what cmd/kubectl in
// k8s.io/kubernetes runs), built from the Go module proxy by scripts/install-oracles.sh. A real kubectl is the peer
// the simulated Kubernetes API is tested against (docs/conformance.md).
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
)

func main() {
	os.Exit(cli.Run(cmd.NewDefaultKubectlCommand()))
}
