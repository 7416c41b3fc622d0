// crosscheck verifies a ppetrace checkpoint and inclusion proof with Go's
// golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog (an independent
// implementation of signed notes and RFC 6962/9162 Merkle proofs).
//
// Usage: crosscheck VERIFIER_KEY CHECKPOINT_FILE ENTRY_FILE INDEX PROOF_FILE
// PROOF_FILE holds one base64 hash per line (bottom-up audit path).
package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "crosscheck: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 6 {
		fail("usage: crosscheck VKEY CHECKPOINT ENTRY INDEX PROOF")
	}
	v, err := note.NewVerifier(os.Args[1])
	if err != nil {
		fail("verifier key: %v", err)
	}
	msg, err := os.ReadFile(os.Args[2])
	if err != nil {
		fail("%v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) < 3 {
		fail("checkpoint has %d lines", len(lines))
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("tree size: %v", err)
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		fail("root: %v", err)
	}
	entry, err := os.ReadFile(os.Args[3])
	if err != nil {
		fail("%v", err)
	}
	index, err := strconv.ParseInt(os.Args[4], 10, 64)
	if err != nil {
		fail("index: %v", err)
	}
	proofText, err := os.ReadFile(os.Args[5])
	if err != nil {
		fail("%v", err)
	}
	var proof tlog.RecordProof
	for _, l := range strings.Fields(string(proofText)) {
		b, err := base64.StdEncoding.DecodeString(l)
		if err != nil || len(b) != tlog.HashSize {
			fail("proof hash %q", l)
		}
		var h tlog.Hash
		copy(h[:], b)
		proof = append(proof, h)
	}
	if err := tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(entry)); err != nil {
		fail("inclusion proof: %v", err)
	}
	fmt.Printf("ok: %s size %d, entry %d included (signature by %s verified with Go x/mod/sumdb)\n", lines[0], size, index, v.Name())
}
