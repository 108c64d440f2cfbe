// kube-apiserver for the k8s test suite (test-k8s/): the real API server from the k8s.io/kubernetes module, in front
// of an embedded etcd, the way controller-runtime's envtest runs a control plane without kubelets. Built from the
// Go module proxy by scripts/install-kube-apiserver.sh. The real server is the peer the controller is tested
// against (docs/controller.md); nothing here models Kubernetes.
//
// Usage: kube-apiserver --etcd-data-dir DIR --etcd-client-port N --etcd-peer-port M [kube-apiserver flags...]
// The three --etcd-* flags are ours (etcd on 127.0.0.1 only); every other flag goes to kube-apiserver unchanged,
// and --etcd-servers is set to the embedded etcd.
package main

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

// ownFlags takes our --etcd-* flags (as --name=value or --name value) out of args and returns the rest.
func ownFlags(args []string) (map[string]string, []string, error) {
	own := map[string]string{"etcd-data-dir": "", "etcd-client-port": "", "etcd-peer-port": ""}
	var rest []string
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if _, ok := own[name]; !ok || !strings.HasPrefix(args[i], "--") {
			rest = append(rest, args[i])
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, nil, fmt.Errorf("--%s needs a value", name)
			}
			i++
			value = args[i]
		}
		own[name] = value
	}
	for name, value := range own {
		if value == "" {
			return nil, nil, fmt.Errorf("--%s is required", name)
		}
	}
	return own, rest, nil
}

func loopback(port string) url.URL {
	return url.URL{Scheme: "http", Host: "127.0.0.1:" + port}
}

func startEtcd(own map[string]string) (*embed.Etcd, string, error) {
	cfg := embed.NewConfig()
	cfg.Name = "talform-test"
	cfg.Dir = own["etcd-data-dir"]
	client, peer := loopback(own["etcd-client-port"]), loopback(own["etcd-peer-port"])
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.Name + "=" + peer.String()
	cfg.LogLevel = "error"
	// A throwaway store: no fsync per write keeps a test run off the disk's latency.
	cfg.UnsafeNoFsync = true
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, "", err
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, "", fmt.Errorf("embedded etcd was not ready within 60s")
	}
	return e, client.String(), nil
}

func main() {
	// --version and --help need no etcd.
	for _, a := range os.Args[1:] {
		if a == "--version" || strings.HasPrefix(a, "--version=") || a == "--help" || a == "-h" {
			os.Exit(cli.Run(app.NewAPIServerCommand()))
		}
	}
	own, rest, err := ownFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "kube-apiserver (talform test wrapper):", err)
		os.Exit(2)
	}
	etcd, servers, err := startEtcd(own)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kube-apiserver (talform test wrapper): starting etcd:", err)
		os.Exit(1)
	}
	command := app.NewAPIServerCommand()
	command.SetArgs(append(rest, "--etcd-servers="+servers))
	code := cli.Run(command)
	etcd.Close()
	os.Exit(code)
}
