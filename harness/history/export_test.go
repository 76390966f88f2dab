package history

// DecodeReference is the encoding/json line-by-line decoder Decode
// replaced, for the benchmark that compares them.
var DecodeReference = decodeReference
