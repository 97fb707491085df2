import { createHash } from 'node:crypto';
import type { NpmPackage } from './app-layers.ts';
import type { DebianPackage } from './debian-layer.ts';

export interface SbomInput {
  version: string;
  created: Date;
  debian: readonly DebianPackage[];
  node: string;
  npm: readonly NpmPackage[];
}

interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo: string;
  downloadLocation: 'NOASSERTION';
  licenseDeclared: string;
  supplier?: string;
  externalRefs: {
    referenceCategory: 'PACKAGE-MANAGER';
    referenceType: 'purl';
    referenceLocator: string;
  }[];
}

/**
 * An SPDX 2.3 document of what went into the image, from the package lists the build used:
 * the Debian packages, Node, and Ballast with its production dependencies (package-lock.json),
 * each with its purl. It has no random parts: the same inputs give the same bytes.
 */
export function imageSbom(input: SbomInput): string {
  const id = (kind: string, name: string, version: string) =>
    `SPDXRef-${kind}-${`${name}-${version}`.replace(/[^A-Za-z0-9.-]/g, '-')}`;
  const ballast: SpdxPackage = {
    SPDXID: 'SPDXRef-ballast',
    name: 'ballast',
    versionInfo: input.version,
    downloadLocation: 'NOASSERTION',
    licenseDeclared: 'Apache-2.0',
    externalRefs: [purl(`pkg:npm/ballast@${input.version}`)],
  };
  const packages: SpdxPackage[] = [
    ballast,
    {
      SPDXID: id('node', 'node', input.node),
      name: 'node',
      versionInfo: input.node,
      downloadLocation: 'NOASSERTION',
      licenseDeclared: 'MIT',
      externalRefs: [purl(`pkg:generic/node@${input.node}`)],
    },
    ...input.debian.map((pkg) => ({
      SPDXID: id('deb', pkg.name, pkg.version),
      name: pkg.name,
      versionInfo: pkg.version,
      downloadLocation: 'NOASSERTION' as const,
      licenseDeclared: 'NOASSERTION',
      supplier: 'Organization: Debian',
      externalRefs: [
        purl(
          `pkg:deb/debian/${pkg.name}@${encodeURIComponent(pkg.version)}?arch=${pkg.architecture}`,
        ),
      ],
    })),
    ...uniqueNpm(input.npm).map((pkg) => ({
      SPDXID: id('npm', pkg.name, pkg.version),
      name: pkg.name,
      versionInfo: pkg.version,
      downloadLocation: 'NOASSERTION' as const,
      licenseDeclared: pkg.license,
      externalRefs: [purl(`pkg:npm/${pkg.name.replace('@', '%40')}@${pkg.version}`)],
    })),
  ];
  const body = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `ballast-image-${input.version}`,
    creationInfo: {
      created: input.created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      creators: ['Tool: ballast-image-build'],
    },
    packages,
    relationships: [
      {
        spdxElementId: 'SPDXRef-DOCUMENT',
        relationshipType: 'DESCRIBES',
        relatedSpdxElement: 'SPDXRef-ballast',
      },
      ...packages.slice(1).map((pkg) => ({
        spdxElementId: 'SPDXRef-ballast',
        relationshipType: 'DEPENDS_ON',
        relatedSpdxElement: pkg.SPDXID,
      })),
    ],
  };
  // The namespace must be unique per document: derive it from the content.
  const digest = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  const document = {
    ...body,
    documentNamespace: `https://spdx.org/spdxdocs/ballast-image-${input.version}-${digest}`,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

function purl(locator: string): SpdxPackage['externalRefs'][number] {
  return { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: locator };
}

/** The same name and version installed in two folders is one package. */
function uniqueNpm(packages: readonly NpmPackage[]): NpmPackage[] {
  const seen = new Map<string, NpmPackage>();
  for (const pkg of packages)
    seen.set(`${pkg.name}@${pkg.version}`, seen.get(`${pkg.name}@${pkg.version}`) ?? pkg);
  return [...seen.values()];
}
