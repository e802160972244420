// Standalone Channel, Mailbox and Broadcast sections (see src/channel/own-section.ts).
export { sectionProvider } from './section-provider.js';
