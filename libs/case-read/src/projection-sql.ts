/** The custom keys of a case profile: what is left without the standard csat and csatComment. */
export const CUSTOM_PROFILE_SQL = (alias?: string) => `(${alias ? `${alias}.` : ''}profile - 'csat'::text - 'csatComment'::text)`;

/**
 * The order the User data sheet lists customers in, digits compared as numbers (u-1-2 before
 * u-1-10), as people read ids: a collation that migration 1764000810000 creates (naturalOrderDdl).
 */
export const NATURAL_ORDER_COLLATION = 'public.casestats_natural';
