import { fileURLToPath } from 'node:url';

/** The vendor's OpenAPI specs, kept in the repository as test data (see its README for their source). */
export const OPENAPI_DIR = fileURLToPath(new URL('../fixtures/openapi', import.meta.url));
