// The public API of the package: an explicit export list. Nothing outside this list is public.
export { LinUCBError, type LinUCBErrorCode } from "./engine/errors.js";
