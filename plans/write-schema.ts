// `npm run cep:schema`: regenerate plans/cep.schema.json from the zod schema (then prettier formats it).
import { writeCepSchemaFile } from './schema-file.js';

writeCepSchemaFile();
