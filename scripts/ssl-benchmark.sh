#!/usr/bin/env bash
# Feature-matching GAN with and without BRE, several seeds, one preset: the runs behind
# docs/benchmarks.md. Runs one after another (the machine has 2 shared cores) and prints a
# table of test error per arm (mean +- standard error over seeds).
#
#   scripts/ssl-benchmark.sh PRESET DATA OUT EPOCHS SEEDS [extra bregan ssl options...]
#   e.g. scripts/ssl-benchmark.sh mnist-fm data/mnist runs/ssl-mnist 4 3 --set train.threads=1
#
# Arms: baseline (--bre-weight 0) and BRE (--bre-weight 0.01, the paper's). Seeds 1..SEEDS; a seed
# fixes the labelled subset, the initialisation and the noise, and is the same in both arms.
# Needs a built CLI: dotnet build src/BreGan.Cli -c Release (or set BREGAN to a command).
set -euo pipefail
preset="$1"; data="$2"; out="$3"; epochs="$4"; seeds="$5"; shift 5
bregan="${BREGAN:-dotnet src/BreGan.Cli/bin/Release/net10.0/BreGan.Cli.dll}"
mkdir -p "$out"
for seed in $(seq 1 "$seeds"); do
  for arm in baseline bre; do
    weight=0; [ "$arm" = bre ] && weight=0.01
    dir="$out/$arm/seed$seed"
    if [ -f "$dir/summary.json" ]; then echo "skip $dir (done)"; continue; fi
    $bregan ssl --preset "$preset" --data "$data" --epochs "$epochs" --seed "$seed" --bre-weight "$weight" \
      --out "$dir" --force --plain "$@" | grep -E "epoch|test_error |seconds"
  done
done
echo
echo "| arm | test error (mean ± s.e.) | per seed | seconds per run |"
echo "|---|---|---|---|"
for arm in baseline bre; do
  jq -s -r --arg arm "$arm" '
    [.[].test_error] as $e | ($e | length) as $n | ($e | add / $n) as $m
    | (if $n > 1 then (($e | map((. - $m) * (. - $m)) | add) / ($n - 1) / $n | sqrt) else 0 end) as $se
    | "| \($arm) | \($m * 10000 | round / 100)% ± \($se * 10000 | round / 100)% | \($e | map(. * 10000 | round / 100 | tostring + "%") | join(", ")) | \([.[].seconds] | add / $n | round) |"' \
    "$out/$arm"/seed*/summary.json
done
