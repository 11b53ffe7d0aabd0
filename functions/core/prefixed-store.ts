/** A view of a store under a key prefix, so one bucket holds several logical stores. */
import type { Body, ObjectInfo, ObjectStore, ObjectWriter, PutConditions, StoredObject } from './object-store.js';

export function withPrefix(store: ObjectStore, prefix: string): ObjectStore {
  if (prefix === '') return store;
  if (!prefix.endsWith('/')) throw new Error(`prefix ${JSON.stringify(prefix)} must end with "/"`);
  const strip = <T extends ObjectInfo | null>(info: T): T => (info ? { ...info, key: info.key.slice(prefix.length) } : info);
  const view: ObjectStore = {
    location: `${store.location}/${prefix}`.replace(/\/\/+$/, '/'),
    get: async (key: string): Promise<StoredObject | null> => strip(await store.get(prefix + key)),
    head: async (key: string) => strip(await store.head(prefix + key)),
    put: (key: string, body: Body, conditions?: PutConditions) => store.put(prefix + key, body, conditions),
    delete: (key: string) => store.delete(prefix + key),
    async *list(listPrefix: string) {
      for await (const info of store.list(prefix + listPrefix)) yield strip(info);
    },
  };
  if (store.openWrite) {
    const openWrite = store.openWrite.bind(store);
    view.openWrite = (key: string): Promise<ObjectWriter> => openWrite(prefix + key);
  }
  return view;
}
