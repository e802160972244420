/**
 * How the 'msgpack' codec writes msgpackr's record structures (the "r" extension of msgpackr's
 * README, "Record Structure Extension Definition"), the subset of it we write and read:
 *
 *   records message  = 0xc1, N, value
 *     0xc1           a byte MessagePack never uses: "this message uses records". Messages
 *                    without records are plain MessagePack (no marker), so any reader,
 *                    the '@msgpack/msgpack' codec included, reads them.
 *     N (u8)         how many shared structures the writer knew: a reader that knows fewer
 *                    reloads them from the store before decoding, and one that still knows
 *                    fewer refuses the message (CorruptValueError), never guesses.
 *   in the value, a plain object is a record:
 *     0x40 + s, v1 .. vn             shared structure s (0..31), its n field values in order
 *     0xd4 0x72 0x60+l, [k1..kn], v1 .. vn
 *                                    defines message-local structure l (0..31) with keys k1..kn
 *                                    (a MessagePack array of str) and gives its values
 *     0x60 + l, v1 .. vn             local structure l again, later in the same message
 *   and because 0x40..0x7f now name structures, integers 64..127 are written as uint 8 (0xcc).
 *
 * Shared structures live in a StructureStore (structure-store.ts): append-only, so structure
 * s means the same keys for every process and every message, forever.
 */
export const RECORDS_MARKER = 0xc1;
/** Marker and N. */
export const RECORDS_HEADER_LENGTH = 2;
/** The msgpackr extension type of a record definition ("r"). */
export const RECORD_DEFINITION_EXT = 0x72;
/** Shared structures s = 0..31 are bytes 0x40 + s. */
export const SHARED_RECORD_BASE = 0x40;
export const MAX_SHARED_STRUCTURES = 32;
/** Message-local structures l = 0..31 are bytes 0x60 + l. */
export const LOCAL_RECORD_BASE = 0x60;
export const MAX_LOCAL_STRUCTURES = 32;
/** Objects with more keys are written as MessagePack maps, never as records. */
export const MAX_RECORD_KEYS = 64;
