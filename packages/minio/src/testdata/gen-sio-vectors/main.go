// Generates known-answer vectors for MinIO's encrypted admin bodies (sio-vectors.json beside this folder):
//   cd packages/minio/src/testdata/gen-sio-vectors && GOFLAGS=-mod=mod go run . > ../sio-vectors.json
// madmin-go encrypts two of them itself (random salt and nonce); the others use sio-go with fixed ones.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"

	"github.com/minio/madmin-go/v3"
	"github.com/secure-io/sio-go"
	"golang.org/x/crypto/argon2"
)

type vector struct {
	Name       string `json:"name"`
	Password   string `json:"password"`
	Plaintext  string `json:"plaintextHex"`
	Salt       string `json:"saltHex,omitempty"`
	Nonce      string `json:"nonceHex,omitempty"`
	Ciphertext string `json:"ciphertextHex,omitempty"`
	// For long plaintexts (the byte pattern i*7+3 of PatternLength bytes) only the ciphertext's SHA-256.
	PatternLength int    `json:"patternLength,omitempty"`
	CipherSHA256  string `json:"ciphertextSha256,omitempty"`
}

// fixed builds salt | id | nonce | sio stream with given salt and nonce, as madmin.EncryptData does with random ones.
func fixed(password string, plaintext, salt, nonce []byte, id byte) []byte {
	key := argon2.IDKey([]byte(password), salt, 1, 64*1024, 4, 32)
	alg := sio.AES_256_GCM
	if id == 1 {
		alg = sio.ChaCha20Poly1305
	}
	stream, err := alg.Stream(key)
	if err != nil {
		panic(err)
	}
	var out strings.Builder
	out.Write(salt)
	out.WriteByte(id)
	out.Write(nonce)
	w := stream.EncryptWriter(&out, nonce, nil)
	if _, err := w.Write(plaintext); err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return []byte(out.String())
}

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}

func main() {
	salt := seq(32)
	nonce := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	var vs []vector
	add := func(name, password string, plaintext []byte, id byte) {
		ct := fixed(password, plaintext, salt, nonce, id)
		v := vector{Name: name, Password: password, Salt: hex.EncodeToString(salt), Nonce: hex.EncodeToString(nonce)}
		if len(plaintext) > 256 {
			sum := sha256.Sum256(ct)
			v.PatternLength, v.CipherSHA256 = len(plaintext), hex.EncodeToString(sum[:])
		} else {
			v.Plaintext, v.Ciphertext = hex.EncodeToString(plaintext), hex.EncodeToString(ct)
		}
		vs = append(vs, v)
	}
	add("aes-gcm empty", "minio-root-secret", nil, 0)
	add("aes-gcm short json", "minio-root-secret", []byte(`{"secretKey":"s3cr3t-value","status":"enabled"}`), 0)
	add("aes-gcm exactly one chunk", "pw", seq(16384), 0)
	add("aes-gcm two chunks and a bit", "pw", seq(16384*2+5), 0)
	add("chacha20-poly1305 short json", "minio-root-secret", []byte(`{"policy":"x"}`), 1)
	add("chacha20-poly1305 one chunk and one byte", "pw", seq(16385), 1)
	for _, p := range []string{"madmin-encrypted", strings.Repeat("x", 16390)} {
		ct, err := madmin.EncryptData("another-secret", []byte(p))
		if err != nil {
			panic(err)
		}
		vs = append(vs, vector{Name: "madmin.EncryptData " + p[:10], Password: "another-secret", Plaintext: hex.EncodeToString([]byte(p)), Ciphertext: hex.EncodeToString(ct)})
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(vs); err != nil {
		panic(err)
	}
}
