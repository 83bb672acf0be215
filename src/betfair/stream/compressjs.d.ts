// compressjs ships no types; only the bzip2 compressor is used (by write.ts).
declare module 'compressjs' {
  const compressjs: {
    Bzip2: {
      compressFile(
        input: Uint8Array,
        output?: undefined,
        blockSizeMultiplier?: number,
      ): Uint8Array | number[];
    };
  };
  export default compressjs;
}
