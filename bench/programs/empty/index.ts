// No resources: what `pulumi preview --refresh` costs before any provider or host is involved (CLI, language
// host, program start).
export const nothing = true;
