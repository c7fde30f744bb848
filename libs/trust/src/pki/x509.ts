// The one module that imports @peculiar/x509 (docs/design/trust.md §3.1). Its dependency tsyringe throws at
// import unless a Reflect metadata polyfill is loaded first, so `reflect-metadata` is imported before it (ES
// modules evaluate their imports in order). Everything else in the package reaches the library through here.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { webcrypto } from "node:crypto";

// Node's WebCrypto, explicitly: the library would otherwise look for a global `crypto`. (Its types name the DOM's
// `Crypto`, which a Node program does not declare; Node's object is that interface.)
x509.cryptoProvider.set(webcrypto as never);

export { x509 };
