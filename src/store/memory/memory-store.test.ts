import { runStoreContract } from '../store-contract.ts';
import { createMemoryStore } from './memory-store.ts';

runStoreContract('memory store', async () => createMemoryStore());
