#!/usr/bin/env bash
# Checks the Terraform here as far as a machine without AWS access (and without the Terraform registry) allows:
#   1. terraform fmt -check      (HCL syntax + canonical formatting)   when terraform is on PATH
#   2. terraform validate        (types, references, provider schema)  only when the AWS provider can be installed
#   3. hcl2json parse of every .tf into JSON files in OUT_DIR, for the structural tests (tests/Esteira.Cli.Tests/Infra)
#   4. provider schema: the block/attribute names and required attributes of every resource used, taken from
#      @cdktf/provider-aws (generated from the hashicorp/aws provider schema), into OUT_DIR/provider-schema.json;
#      the tests check every attribute and block of the .tf files against it
#   5. scope: only the bucket (aws_s3_*) and the runner's IAM (aws_iam_*) are declared; scheduled re-scoring is a
#      scheduled CI pipeline, so no CodeBuild, EventBridge (Scheduler or rule) or Lambda resource may come back
# Usage: infra/terraform/check.sh [OUT_DIR]. Prints one "check: NAME: passed|FAILED|skipped (why)" line per step.
# Exit 0 only when every step that ran passed and the parse succeeded.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$(mktemp -d)}"
tools="${ESTEIRA_TOOLS_DIR:-/tmp/esteira-tools}"
status=0
mkdir -p "$out"

if command -v terraform >/dev/null 2>&1; then
  version="$(terraform version 2>/dev/null | head -1)"
  if terraform fmt -check -diff "$here" >"$out/fmt.log" 2>&1; then
    echo "check: terraform fmt ($version): passed"
  else
    echo "check: terraform fmt ($version): FAILED"; cat "$out/fmt.log"; status=1
  fi

  # validate needs the provider plugin; init in a scratch copy so that no .terraform/ lands in the repository.
  scratch="$(mktemp -d)"
  cp "$here"/*.tf "$scratch"/
  if (cd "$scratch" && timeout 120 terraform init -backend=false -input=false -no-color >"$out/init.log" 2>&1); then
    if (cd "$scratch" && terraform validate -no-color >"$out/validate.log" 2>&1); then
      echo "check: terraform validate: passed"
    else
      echo "check: terraform validate: FAILED"; cat "$out/validate.log"; status=1
    fi
  else
    echo "check: terraform validate: skipped (terraform init cannot install hashicorp/aws here: $(grep -m1 -o 'no such host\|could not connect\|timeout\|Failed to query available provider packages' "$out/init.log" || echo 'see init.log'))"
  fi
  rm -rf "$scratch"
else
  echo "check: terraform fmt: skipped (no terraform on PATH)"
  echo "check: terraform validate: skipped (no terraform on PATH)"
fi

# hcl2json: HashiCorp's HCL parser (hcl/v2, compiled to WebAssembly) from the npm registry.
parser="$tools/hcl2json/node_modules/@cdktf/hcl2json"
if [ ! -d "$parser" ]; then
  mkdir -p "$tools/hcl2json"
  (cd "$tools/hcl2json" && npm install --silent --no-audit --no-fund @cdktf/hcl2json@0.21.0 >/dev/null 2>&1)
fi
if [ -d "$parser" ] && NODE_PATH="$tools/hcl2json/node_modules" node -e '
  const { parse } = require("@cdktf/hcl2json");
  const fs = require("fs"), path = require("path");
  const [dir, out] = process.argv.slice(1);
  (async () => {
    for (const file of fs.readdirSync(dir).filter(f => f.endsWith(".tf")).sort()) {
      const json = await parse(file, fs.readFileSync(path.join(dir, file), "utf8"));
      fs.writeFileSync(path.join(out, file + ".json"), JSON.stringify(json, null, 1));
    }
  })().catch(e => { console.error(String(e && e.message || e)); process.exit(1); });
' "$here" "$out"; then
  echo "check: hcl2json parse: passed ($(ls "$out"/*.tf.json | wc -l) files in $out)"
else
  echo "check: hcl2json parse: FAILED"; status=1
fi

# The provider schema, from the jsii manifest of the prebuilt CDKTF bindings (no provider binary is reachable here).
schema_pkg="@cdktf/provider-aws@21.22.1"
schema_dir="$tools/provider-aws-21.22.1"
if [ ! -f "$schema_dir/package/.jsii" ]; then
  mkdir -p "$schema_dir"
  (cd "$schema_dir" && npm pack --silent "$schema_pkg" >/dev/null 2>&1 \
    && tar -xzf cdktf-provider-aws-21.22.1.tgz package/.jsii package/package.json && rm -f cdktf-provider-aws-21.22.1.tgz)
fi
if [ -f "$schema_dir/package/.jsii" ] && node -e '
  const fs = require("fs"), path = require("path");
  const [jsiiPath, out] = process.argv.slice(1);
  const jsii = JSON.parse(fs.readFileSync(jsiiPath, "utf8"));
  const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(jsiiPath), "package.json"), "utf8"));
  const types = jsii.types, ns = "@cdktf/provider-aws.";
  const pascal = s => s.split("_").map(w => w.charAt(0).toUpperCase() + w.slice(1)).join("");
  const isBlock = fqn => fqn.startsWith(ns) && types[fqn] && types[fqn].kind === "interface";
  const blockOf = t => t.fqn ? (isBlock(t.fqn) ? t.fqn : null)
    : t.union ? t.union.types.map(blockOf).find(x => x) || null
    : t.collection ? blockOf(t.collection.elementtype) : null;
  const described = {};
  const describe = fqn => {
    if (described[fqn] || !types[fqn]) return;
    const props = {};
    described[fqn] = { properties: props };
    for (const p of types[fqn].properties || []) {
      const block = blockOf(p.type);
      props[p.name] = { required: !p.optional, block };
      if (block) describe(block);
    }
  };
  const roots = {};
  for (const file of fs.readdirSync(out).filter(f => f.endsWith(".tf.json"))) {
    const hcl = JSON.parse(fs.readFileSync(path.join(out, file), "utf8"));
    for (const type of Object.keys(hcl.resource || {})) roots["resource." + type] = ns + pascal(type.replace(/^aws_/, "")).replace(/^./, c => c.toLowerCase()) + "." + pascal(type.replace(/^aws_/, "")) + "Config";
    for (const type of Object.keys(hcl.data || {})) roots["data." + type] = ns + "dataAws" + pascal(type.replace(/^aws_/, "")) + ".DataAws" + pascal(type.replace(/^aws_/, "")) + "Config";
    for (const name of Object.keys(hcl.provider || {})) roots["provider." + name] = ns + "provider.AwsProviderConfig";
  }
  // CDKTF renames a few config types that collide with other names ("…AConfig").
  for (const [key, fqn] of Object.entries(roots)) if (!types[fqn] && types[fqn.replace(/Config$/, "AConfig")]) roots[key] = fqn.replace(/Config$/, "AConfig");
  Object.values(roots).forEach(describe);
  const provider = (pkg.cdktf && pkg.cdktf.provider) || {};
  fs.writeFileSync(path.join(out, "provider-schema.json"), JSON.stringify({ source: pkg.name + "@" + pkg.version, provider: provider.name + " " + provider.version, roots, types: described }, null, 1));
  console.log(provider.name + " " + provider.version + ", " + Object.keys(roots).length + " resource, data and provider types");
' "$schema_dir/package/.jsii" "$out" >"$out/schema.log" 2>&1; then
  echo "check: provider schema: extracted ($(cat "$out/schema.log"))"
else
  echo "check: provider schema: FAILED"; cat "$out/schema.log" 2>/dev/null; status=1
fi

# Scope: resource and data blocks of any other kind (a returning schedule.tf, for example) fail the check.
declared="$(grep -hoE '^(resource|data) "[a-z0-9_]+"' "$here"/*.tf | cut -d'"' -f2 | sort -u)"
outside="$(printf '%s\n' "$declared" | grep -vE '^aws_(s3|iam)_' | paste -sd' ')"
if [ -z "$outside" ]; then
  echo "check: scope: passed ($(printf '%s\n' "$declared" | wc -l) aws_s3_/aws_iam_ types only)"
else
  echo "check: scope: FAILED (declares $outside; Terraform creates only the bucket and the runner policy)"; status=1
fi

exit $status
