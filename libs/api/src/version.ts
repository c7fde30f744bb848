export const SHOAL_VERSION = "0.1.0";
