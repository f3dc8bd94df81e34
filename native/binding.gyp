{
  "targets": [
    {
      "target_name": "tessera_crypto",
      "sources": ["src/addon.c", "src/poseidon.c", "src/poseidon_memo.c", "src/eddsa.c", "src/verify_pool.c", "src/sync_thread.c"],
      "include_dirs": ["gen", "src"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra", "-fno-strict-aliasing"],
      "cflags!": ["-O2", "-O1", "-O0", "-fno-omit-frame-pointer"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-std=c11"], "GCC_OPTIMIZATION_LEVEL": "3" }
    }
  ]
}
