# Sourced by bench/run.sh and bench/tabular.sh. Sets up LightGBM's own Python package 4.6.0 (vendored in
# $LIGHTGBM_PYTHON, default ../shared/vendor/lightgbm-python-4.6.0) once in $BENCH_LGBM_DIR (default
# /tmp/esteira-bench-lightgbm-python) over the NuGet package's lib_lightgbm.so ($LGBM_NATIVE): the same native 4.6.0
# that Esteira calls. Sets lgbm_dir, the folder to put on PYTHONPATH. Needs ROOT, PYTHON and a log function.
setup_lightgbm_python() {
  lgbm_dir="${BENCH_LGBM_DIR:-/tmp/esteira-bench-lightgbm-python}"
  local lgbm_src="${LIGHTGBM_PYTHON:-$ROOT/../shared/vendor/lightgbm-python-4.6.0}"
  local lgbm_native="${LGBM_NATIVE:-$HOME/.nuget/packages/lightgbm/4.6.0/runtimes/linux-x64/native/lib_lightgbm.so}"
  if ! PYTHONPATH="$lgbm_dir" "$PYTHON" -c 'import lightgbm' 2>/dev/null; then
    log "setting up LightGBM's Python package from $lgbm_src in $lgbm_dir"
    [[ -d "$lgbm_src/lightgbm" && -f "$lgbm_native" ]] || { echo "need $lgbm_src/lightgbm and $lgbm_native (dotnet restore fetches it)" >&2; exit 1; }
    rm -rf "$lgbm_dir"; mkdir -p "$lgbm_dir"
    cp -r "$lgbm_src/lightgbm" "$lgbm_dir/"
    mkdir -p "$lgbm_dir/lightgbm/lib"; cp "$lgbm_native" "$lgbm_dir/lightgbm/lib/"
  fi
}
