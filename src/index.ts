/**
 * shmkit: named shared-memory sections for Node.js threads and processes.
 */
export * from './errors.js';
export { Section } from './section/index.js';
export type {
  SectionCreateOptions,
  SectionInfo,
  SectionOpenOptions,
  SectionOpenOrCreateOptions,
  SectionUnlinkOptions,
} from './section/index.js';
