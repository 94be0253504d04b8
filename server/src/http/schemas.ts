/**
 * The admin API's schemas now live in the protocol (lomas-kernel/protocol, admin.ts). This module
 * only re-exports the two that server/src/cli/admin.ts still imports from here.
 */
export { ConnectorSettings, DatasetMetadataBody as DatasetMetadata } from 'lomas-kernel/protocol';
