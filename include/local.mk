# Public module headers.
