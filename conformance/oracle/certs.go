package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	stdx509 "crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"time"
)

// certInfo is what the oracle reports about one CA certificate and its key.
type certInfo struct {
	Algorithm   string   `json:"algorithm"`
	Subject     string   `json:"subject"`
	IsCA        bool     `json:"isCA"`
	SelfSigned  bool     `json:"selfSigned"`
	KeyMatches  bool     `json:"keyMatches"`
	NotBefore   string   `json:"notBefore"`
	NotAfter    string   `json:"notAfter"`
	ValidityH   float64  `json:"validityHours"`
	KeyPem      string   `json:"keyPem"`
	KeyUsage    []string `json:"keyUsage"`
	ExtKeyUsage []string `json:"extKeyUsage"`
}

// keyAlgorithm names a public key the way talform's pki module does: Ed25519, ECDSA-P256, RSA-4096, ...
func keyAlgorithm(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return "Ed25519"
	case *ecdsa.PublicKey:
		return "ECDSA-" + strings.ReplaceAll(k.Curve.Params().Name, "-", "") // "P-256" → "ECDSA-P256"
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	default:
		return fmt.Sprintf("unknown(%T)", pub)
	}
}

// parsePrivateKeyPEM parses the PEM labels Talos writes (ED25519 PRIVATE KEY and PRIVATE KEY hold PKCS#8, EC
// PRIVATE KEY SEC1, RSA PRIVATE KEY PKCS#1) and returns the key with its label.
func parsePrivateKeyPEM(data []byte) (crypto.Signer, string, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, "", fmt.Errorf("no PEM block in key")
	}

	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, block.Type, fmt.Errorf("unexpected data after the %s PEM block", block.Type)
	}

	var (
		key any
		err error
	)

	switch block.Type {
	case "ED25519 PRIVATE KEY", "PRIVATE KEY":
		key, err = stdx509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = stdx509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = stdx509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, block.Type, fmt.Errorf("unsupported key PEM label %q", block.Type)
	}

	if err != nil {
		return nil, block.Type, fmt.Errorf("%s: %w", block.Type, err)
	}

	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, block.Type, fmt.Errorf("%s holds a %T, not a signing key", block.Type, key)
	}

	return signer, block.Type, nil
}

func parseCertificatePEM(data []byte) (*stdx509.Certificate, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("no PEM block in certificate")
	}

	if block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("certificate PEM label is %q, want CERTIFICATE", block.Type)
	}

	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("unexpected data after the certificate PEM block")
	}

	return stdx509.ParseCertificate(block.Bytes)
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })

	return ok && eq.Equal(b)
}

func describeCert(cert *stdx509.Certificate) certInfo {
	return certInfo{
		Algorithm:   keyAlgorithm(cert.PublicKey),
		Subject:     cert.Subject.String(),
		IsCA:        cert.IsCA,
		SelfSigned:  cert.CheckSignatureFrom(cert) == nil,
		NotBefore:   cert.NotBefore.UTC().Format(time.RFC3339),
		NotAfter:    cert.NotAfter.UTC().Format(time.RFC3339),
		ValidityH:   cert.NotAfter.Sub(cert.NotBefore).Hours(),
		KeyUsage:    keyUsageNames(cert.KeyUsage),
		ExtKeyUsage: extKeyUsageNames(cert.ExtKeyUsage),
	}
}

func keyUsageNames(ku stdx509.KeyUsage) []string {
	names := []struct {
		bit  stdx509.KeyUsage
		name string
	}{
		{stdx509.KeyUsageDigitalSignature, "digitalSignature"},
		{stdx509.KeyUsageContentCommitment, "contentCommitment"},
		{stdx509.KeyUsageKeyEncipherment, "keyEncipherment"},
		{stdx509.KeyUsageDataEncipherment, "dataEncipherment"},
		{stdx509.KeyUsageKeyAgreement, "keyAgreement"},
		{stdx509.KeyUsageCertSign, "certSign"},
		{stdx509.KeyUsageCRLSign, "crlSign"},
		{stdx509.KeyUsageEncipherOnly, "encipherOnly"},
		{stdx509.KeyUsageDecipherOnly, "decipherOnly"},
	}

	out := []string{}

	for _, n := range names {
		if ku&n.bit != 0 {
			out = append(out, n.name)
		}
	}

	return out
}

func extKeyUsageNames(ekus []stdx509.ExtKeyUsage) []string {
	out := []string{}

	for _, eku := range ekus {
		switch eku {
		case stdx509.ExtKeyUsageServerAuth:
			out = append(out, "serverAuth")
		case stdx509.ExtKeyUsageClientAuth:
			out = append(out, "clientAuth")
		case stdx509.ExtKeyUsageAny:
			out = append(out, "any")
		default:
			out = append(out, fmt.Sprintf("eku(%d)", eku))
		}
	}

	return out
}
