import { fileURLToPath } from 'node:url';

/** The vendor's OpenAPI specs, kept beside the repository in ../shared (CI puts them there too). */
export const OPENAPI_DIR =
  process.env.RACING_OPENAPI_DIR ??
  fileURLToPath(new URL('../../../shared/reference/openapi', import.meta.url));
