"""What a strategy is: the typed grammar, genome trees, their canonical text form, the parser and
the evaluation of a tree into hold signals. Pure: arrays and values in, arrays and values out."""
