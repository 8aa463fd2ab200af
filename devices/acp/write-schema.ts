// `npm run acp:schema`: regenerate devices/acp/acp.schema.json from the zod schema (then prettier formats it).
import { writeAcpSchemaFile } from './schema-file.js';

writeAcpSchemaFile();
