// The part of age-encryption (typage) the case page needs, as a browser global.
// crates/web/assets/case.js uses it; nothing else on the site loads it.
import { Decrypter, identityToRecipient } from "age-encryption";

globalThis.ppetraceAge = { Decrypter, identityToRecipient };
