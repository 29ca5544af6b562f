import { Strict } from '../../config/types.js';

export const ForwardConfig = Strict({});
