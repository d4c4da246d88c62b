#!/bin/sh
# First start: index seeds/ into the Milvus that RAG_STORE_URI names. Later starts keep what is there (uploads,
# feeds, a `rag build` of your own articles): `rag build` would make the index hold exactly seeds/ again.
set -e
if ! rag search 哈萨克斯坦 --top-k 1 >/dev/null 2>&1; then
  rag build seeds/ --quiet
fi
exec rag serve "$@"
