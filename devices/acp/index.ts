export { ACP_VERSION, acpJsonSchema, acpSchema, KNOWN_KINDS, type AcpDescriptor } from './schema.js';
export { DescriptorError, describeDevice, parseDescriptor, type DescribeOptions } from './descriptor.js';
export { listDevices, type ListedDevice } from './list.js';
export { acpSchemaFile, acpSchemaText, writeAcpSchemaFile } from './schema-file.js';
