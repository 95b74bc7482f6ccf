#!/usr/bin/env node
// Writes the CycloneDX 1.6 SBOM of the agent image: every npm package whose code went into
// the bundles (as scripts/image/bundle.mjs reports them), the Node.js binary, and the
// Debian packages the shared libraries come from. Components carry a package URL and the
// licence their manifest declares; the image itself is the metadata component.
//
// Usage: node scripts/image/sbom.mjs <npm-packages.jsonl> <deb-packages.jsonl> <image-ref> <version> > sbom.cdx.json
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const [npmFile, debFile, imageRef, version] = process.argv.slice(2);
if (version === undefined) {
  process.stderr.write('usage: sbom.mjs <npm.jsonl> <deb.jsonl> <image-ref> <version>\n');
  process.exit(2);
}
const lines = (file) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));

/** `pkg:npm/%40scope/name@1.2.3` (purl-spec: the scope's @ is percent-encoded). */
const npmPurl = (name, v) => `pkg:npm/${name.startsWith('@') ? `%40${name.slice(1)}` : name}@${v}`;

function licenseOf(path) {
  try {
    const manifest = JSON.parse(readFileSync(join(root, path, 'package.json'), 'utf8'));
    const l = manifest.license ?? manifest.licenses?.[0]?.type;
    return typeof l === 'string' ? [{ expression: l }] : undefined;
  } catch {
    return undefined;
  }
}

const components = [
  ...lines(npmFile).map((p) => ({
    type: 'library',
    'bom-ref': npmPurl(p.name, p.version),
    name: p.name,
    version: p.version,
    purl: npmPurl(p.name, p.version),
    ...(licenseOf(p.path) === undefined ? {} : { licenses: licenseOf(p.path) }),
  })),
  ...lines(debFile).map((d) => ({
    type: d.type ?? 'library',
    'bom-ref': d.purl,
    name: d.name,
    version: d.version,
    purl: d.purl,
    ...(d.license === undefined ? {} : { licenses: [{ expression: d.license }] }),
  })),
];
// One entry per package URL: a package bundled from two places is still one component.
const unique = [...new Map(components.map((c) => [c['bom-ref'], c])).values()].sort((a, b) =>
  a['bom-ref'].localeCompare(b['bom-ref']),
);
// The same contents give the same SBOM, byte for byte, so the image digest depends on its
// inputs only: the serial number is derived from the components, and the time is the
// build's SOURCE_DATE_EPOCH when one is set (no time otherwise).
const digest = createHash('sha256')
  .update(JSON.stringify([imageRef, version, unique]))
  .digest('hex');
const serial = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-5${digest.slice(13, 16)}-8${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
const epoch = process.env['SOURCE_DATE_EPOCH'];
const bom = {
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  serialNumber: `urn:uuid:${serial}`,
  version: 1,
  metadata: {
    ...(epoch === undefined ? {} : { timestamp: new Date(Number(epoch) * 1000).toISOString() }),
    tools: { components: [{ type: 'application', name: 'vigil scripts/image/sbom.mjs' }] },
    component: {
      type: 'container',
      'bom-ref': imageRef,
      name: imageRef.replace(/:[^/:]*$/, ''),
      version,
    },
  },
  components: unique,
  dependencies: [{ ref: imageRef, dependsOn: unique.map((c) => c['bom-ref']) }],
};
process.stdout.write(`${JSON.stringify(bom, null, 2)}\n`);
