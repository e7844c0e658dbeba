
Ѓ

label

1
	embedding$"
 Фћъ>еєґ>mг„='3nњЕ°пЉd€1?9ђњЭLкЊ

name


item-1

tokens

ж Ъти

score
q„њ

blob

nyM

tags

t0

id
