#!/usr/bin/env bash
# Dex (OpenID Connect provider) for the sign-in tests: built once from the Go module proxy into
# ~/.cache/lomas/bin, started on free loopback ports with a generated configuration.
#   source .ci/dex.sh
#   dex_build    build the binary if it is missing (2 to 7 minutes cold, with the downloads)
#   dex_start    start two instances: the main one (DEX_ISSUER) and a second one with 1-second
#                tokens (DEX_SHORT_ISSUER: expired tokens, and tokens from another issuer); export
#                DEX_ISSUER, DEX_SHORT_ISSUER and the test users' emails and passwords
#   dex_stop     stop both and remove their files
# Static users (password DB): analyst@lomas.test, admin@lomas.test (group lomas-admins),
# stranger@lomas.test (unknown to Lomas) and unverified@lomas.test (email not verified; the
# stranger's password). Static public clients: lomas_client and other_client (another audience).
CACHE=${LOMAS_CACHE:-$HOME/.cache/lomas}
# The v2.45.1 tag commit: `go install @v2.45.1` is refused by the proxy and @latest is a 2018 release.
DEX_MODULE=github.com/dexidp/dex@v0.0.0-20260303133905-11d2eeb52b42

dex_build() {
  if "$CACHE/bin/dex" version >/dev/null 2>&1 && [[ -x "$CACHE/bin/dex-bcrypt" ]]; then return 0; fi
  echo "Building Dex v2.45.1 (OpenID Connect provider) into $CACHE/bin"
  mkdir -p "$CACHE/bin"
  local src work
  src=$(go mod download -json "$DEX_MODULE" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])') || return 1
  work=$(mktemp -d /tmp/lomas-dex-src.XXXXXX)
  cp -r "$src/." "$work/" && chmod -R u+w "$work"
  # Dex stores bcrypt hashes of its static passwords: a ten-line helper built against the same
  # module's golang.org/x/crypto hashes the passwords generated for each run (read from stdin).
  mkdir -p "$work/cmd/lomas-bcrypt"
  cat >"$work/cmd/lomas-bcrypt/main.go" <<'GO'
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

func main() {
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	hash, err := bcrypt.GenerateFromPassword([]byte(strings.TrimRight(line, "\r\n")), 10)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(string(hash))
}
GO
  # The tag's go.mod points its api/v2 module at a local folder that the proxy does not serve.
  (cd "$work" && go mod edit -dropreplace github.com/dexidp/dex/api/v2 &&
    GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$work/dex.bin" ./cmd/dex &&
    GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$work/dex-bcrypt.bin" ./cmd/lomas-bcrypt) || {
    rm -rf "$work"
    return 1
  }
  # Renames, so a parallel run never sees half a binary.
  mv "$work/dex-bcrypt.bin" "$CACHE/bin/dex-bcrypt"
  mv "$work/dex.bin" "$CACHE/bin/dex"
  rm -rf "$work"
}

# A free TCP port on loopback, chosen by the kernel.
_dex_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

_dex_bcrypt() {
  printf '%s\n' "$1" | "$CACHE/bin/dex-bcrypt"
}

_dex_random_password() {
  python3 -c 'import secrets; print(secrets.token_urlsafe(18))'
}

# _dex_config <dir> <port> <token lifetime>: writes <dir>/config.yaml.
_dex_config() {
  local dir=$1 port=$2 lifetime=$3
  cat >"$dir/config.yaml" <<YAML
issuer: http://127.0.0.1:$port/dex
storage:
  type: memory
web:
  http: 127.0.0.1:$port
logger:
  level: error
expiry:
  idTokens: "$lifetime"
oauth2:
  skipApprovalScreen: true
  passwordConnector: local
enablePasswordDB: true
staticClients:
  - id: lomas_client
    name: Lomas
    public: true
    redirectURIs: ['/device/callback']
  - id: other_client
    name: Another application
    public: true
    redirectURIs: ['/device/callback']
staticPasswords:
  - email: analyst@lomas.test
    username: analyst
    preferredUsername: analyst
    userID: analyst-0001
    hash: '$DEX_HASH_ANALYST'
  - email: admin@lomas.test
    username: admin
    preferredUsername: admin
    userID: admin-0001
    hash: '$DEX_HASH_ADMIN'
    groups: ['lomas-admins']
  - email: stranger@lomas.test
    username: stranger
    preferredUsername: stranger
    userID: stranger-0001
    hash: '$DEX_HASH_STRANGER'
  - email: unverified@lomas.test
    username: unverified
    preferredUsername: unverified
    userID: unverified-0001
    emailVerified: false
    hash: '$DEX_HASH_STRANGER'
YAML
}

# _dex_launch <name> <token lifetime> <variable>: starts one instance (a child of this shell, so
# dex_stop can wait for it) and stores its issuer URL in <variable>.
_dex_launch() {
  local name=$1 lifetime=$2 port dir issuer
  port=$(_dex_free_port)
  dir="$DEX_DIR/$name"
  mkdir -p "$dir"
  _dex_config "$dir" "$port" "$lifetime"
  "$CACHE/bin/dex" serve "$dir/config.yaml" >"$dir/dex.log" 2>&1 &
  echo $! >"$dir/pid"
  issuer="http://127.0.0.1:$port/dex"
  for _ in $(seq 1 100); do
    if curl -fsS "$issuer/.well-known/openid-configuration" >/dev/null 2>&1; then
      printf -v "$3" '%s' "$issuer"
      return 0
    fi
    sleep 0.1
  done
  echo "Dex ($name) did not answer its discovery document; its log:" >&2
  cat "$dir/dex.log" >&2
  return 1
}

dex_start() {
  dex_build || return 1
  DEX_DIR=$(mktemp -d /tmp/lomas-dex.XXXXXX)
  # Fresh random passwords every run: the tests read them from the environment.
  DEX_ANALYST_EMAIL=analyst@lomas.test
  DEX_ADMIN_EMAIL=admin@lomas.test
  DEX_STRANGER_EMAIL=stranger@lomas.test
  DEX_ANALYST_PASSWORD=$(_dex_random_password)
  DEX_ADMIN_PASSWORD=$(_dex_random_password)
  DEX_STRANGER_PASSWORD=$(_dex_random_password)
  DEX_HASH_ANALYST=$(_dex_bcrypt "$DEX_ANALYST_PASSWORD") || return 1
  DEX_HASH_ADMIN=$(_dex_bcrypt "$DEX_ADMIN_PASSWORD") || return 1
  DEX_HASH_STRANGER=$(_dex_bcrypt "$DEX_STRANGER_PASSWORD") || return 1
  _dex_launch main 10m DEX_ISSUER || { dex_stop; return 1; }
  _dex_launch short 1s DEX_SHORT_ISSUER || { dex_stop; return 1; }
  export DEX_DIR DEX_ISSUER DEX_SHORT_ISSUER
  export DEX_ANALYST_EMAIL DEX_ADMIN_EMAIL DEX_STRANGER_EMAIL
  export DEX_ANALYST_PASSWORD DEX_ADMIN_PASSWORD DEX_STRANGER_PASSWORD
  echo "Dex listening at $DEX_ISSUER and $DEX_SHORT_ISSUER (1-second tokens)"
}

dex_stop() {
  if [[ -n "${DEX_DIR:-}" && -d "$DEX_DIR" ]]; then
    local pidfile pid
    for pidfile in "$DEX_DIR"/*/pid; do
      [[ -f "$pidfile" ]] || continue
      pid=$(cat "$pidfile")
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    done
    rm -rf "$DEX_DIR"
  fi
  unset DEX_DIR DEX_ISSUER DEX_SHORT_ISSUER
}
