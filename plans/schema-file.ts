import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../common/index.js';
import { cepJsonSchema } from './schema.js';

/** Where the committed JSON Schema of CEP plans lives (next to schema.ts). */
export function cepSchemaFile(): string {
  return join(packageRoot(), 'plans', 'cep.schema.json');
}

/** The schema file's text as the code generates it (`npm run cep:schema` writes it; a test checks the committed file). */
export function cepSchemaText(): string {
  return JSON.stringify(cepJsonSchema(), null, 2) + '\n';
}

export function writeCepSchemaFile(file = cepSchemaFile()): string {
  writeFileSync(file, cepSchemaText());
  return file;
}
