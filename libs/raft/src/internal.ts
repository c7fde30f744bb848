/** Entry points for sibling packages and tests only; not a stable API. */
export * from "./index.js";
export { ByteReader, ByteWriter } from "./codec/bytes.js";
export * from "./codec/codec.js";
