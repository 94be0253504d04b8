import { MemoryStore } from '../../src/store/memory';
import { runStoreContract } from './contract';

runStoreContract('memory', {
  open: async () => {
    const s = new MemoryStore();
    await s.init();
    return s;
  },
  dispose: s => s.close()
});
