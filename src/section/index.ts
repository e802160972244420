export { Section, type MappedSection, type SectionInfo } from './section.js';
export type {
  SectionCreateOptions,
  SectionOpenOptions,
  SectionOpenOrCreateOptions,
  SectionUnlinkOptions,
} from './options.js';
