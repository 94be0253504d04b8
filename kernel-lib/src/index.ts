/** lomas-kernel: the notebook library. */
export * from './protocol';
