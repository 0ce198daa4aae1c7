// The provider's version, on its own: the plugin reports it before its resources are loaded (see listen.ts).
export const PROVIDER_VERSION = "0.1.0";
