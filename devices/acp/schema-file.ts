import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../common/index.js';
import { acpJsonSchema } from './schema.js';

/** Where the committed JSON Schema of ACP descriptors lives (in the sources, next to schema.ts). */
export function acpSchemaFile(): string {
  return join(packageRoot(), 'devices', 'acp', 'acp.schema.json');
}

/** The schema file's text as the code generates it (`npm run acp:schema` writes it; a test checks the committed file). */
export function acpSchemaText(): string {
  return JSON.stringify(acpJsonSchema(), null, 2) + '\n';
}

export function writeAcpSchemaFile(file = acpSchemaFile()): string {
  writeFileSync(file, acpSchemaText());
  return file;
}
